/** An evaluation that cannot be done with this input; the message says why and what to do. */
export class EvaluationInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationInputError';
  }
}

/** An integer benchmark knob from the environment, checked: a typo is an error that names the variable, not a silent default. */
export function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be an integer in ${min}..${max}, got ${raw}`);
  return value;
}

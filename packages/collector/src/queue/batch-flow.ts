import { FlowProducer, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JoinJobData, LabelJobData, ProbeJobData } from './job-payloads.ts';
import { jobId, QUEUES } from './queue-names.ts';

/** Bounded retries with backoff: a batch that fails three times is reported, not retried for ever. */
const RETRIES: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  // Finished jobs leave Redis at once: the target index and the store hold the run's history.
  removeOnComplete: true,
  removeOnFail: { count: 1000 },
};

/**
 * Adds one batch as a BullMQ flow: join (parent) <- label <- probe. BullMQ
 * runs children first and hands each parent its child's return value. A child
 * that fails for good does not wedge the chain: the parent still runs and
 * records the batch as failed (ignoreDependencyOnFailure).
 */
export class BatchFlow {
  private readonly producer: FlowProducer;

  constructor(
    connection: Redis,
    private readonly joinQueue: string,
  ) {
    this.producer = new FlowProducer({ connection });
  }

  async add(probe: ProbeJobData, label: LabelJobData): Promise<void> {
    const { runId, batchNo } = probe;
    const join: JoinJobData = { runId, batchNo };
    await this.producer.add({
      name: 'join',
      queueName: this.joinQueue,
      data: join,
      opts: { ...RETRIES, jobId: jobId(runId, batchNo, 'join') },
      children: [
        {
          name: 'label',
          queueName: QUEUES.label,
          data: label,
          opts: { ...RETRIES, jobId: jobId(runId, batchNo, 'label'), ignoreDependencyOnFailure: true },
          children: [
            {
              name: 'probe',
              queueName: QUEUES.probe,
              data: probe,
              opts: { ...RETRIES, jobId: jobId(runId, batchNo, 'probe'), ignoreDependencyOnFailure: true },
            },
          ],
        },
      ],
    });
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

// RabbitMQ for the bench: the test harness's broker (test/harness/rabbitmq.ts startRabbit, which also
// honours RABBITMQ_URL), plus the pid behind its AMQP port so its memory can be reported.
import { startRabbit } from '../../test/harness/rabbitmq.ts';
import { pidListeningOn } from './proc.ts';

export interface BenchRabbit { url: string; pid: number | undefined; stop(): Promise<void> }

export async function startBenchRabbit(): Promise<BenchRabbit> {
  const rabbit = await startRabbit();
  const port = Number(new URL(rabbit.url).port || 5672);
  return { url: rabbit.url, pid: pidListeningOn(port), stop: () => rabbit.dispose() };
}

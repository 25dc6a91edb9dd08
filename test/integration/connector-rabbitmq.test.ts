// The connector against the real receiver on a real RabbitMQ (started by test/harness): retries wait in
// the broker's delay queues, dead letters land in its dead-letter queue, a killed connector's unacked
// message comes back from the quorum queue.
import { after, before } from 'node:test';
import { RabbitBuffer } from '../../receiver/buffer/rabbitmq/index.ts';
import { createLogger } from '../../shared/logger.ts';
import { connectorScenarios } from '../../connector/testing/scenarios.ts';
import { startRabbit, type Rabbit } from '../harness/rabbitmq.ts';

let rabbit: Rabbit;
before(async () => { rabbit = await startRabbit(); });
after(() => rabbit?.dispose());

const logger = createLogger({ name: 'connector-rabbit', level: 'silent' });
connectorScenarios('rabbitmq', async () => new RabbitBuffer({ url: rabbit.url, logger, reconnectMinMs: 50, reconnectMaxMs: 500, connectTimeoutMs: 30_000, confirmTimeoutMs: 5_000 }));

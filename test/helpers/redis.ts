// A real redis-server for a test (the same helper `npm run load -- --redis` uses).
export { startRedis, type RedisServer } from '../../scripts/redis-server.js';

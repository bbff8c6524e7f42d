import autocannon from 'autocannon';
import { createServer } from 'node:http';
import { createYoga } from 'graphql-yoga';
import { buildSchema } from '../src/graphql/schema.js';
const schema = buildSchema();
const yoga = createYoga({ schema, graphiql: false, landingPage: false, logging: false });
const body = JSON.stringify({ query: '{ __typename }' });
const fast = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString());
    const { parse, validate, contextFactory, execute, schema: s } = yoga.getEnveloped({ request: undefined as any });
    const document = parse(query);
    const errors = validate(s, document);
    const result = errors.length
      ? { errors }
      : await execute({ schema: s, document, contextValue: await contextFactory(), variableValues: variables, operationName });
    const out = JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});
const full = createServer((q, r) => void yoga.handle(q, r));
for (const s of [fast, full]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
for (let round = 0; round < 2; round++) {
  for (const [name, s, path] of [
    ['envelop direct', fast, '/'],
    ['yoga.handle', full, '/graphql'],
  ] as const) {
    const url = `http://127.0.0.1:${(s.address() as any).port}${path}`;
    await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 32, duration: 2 });
    const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 32, duration: 3 });
    console.log(name.padEnd(20), Math.round(r.requests.average), 'req/s');
  }
}
fast.close();
full.close();

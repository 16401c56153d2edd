#!/usr/bin/env node
// ioredis against a Redis-protocol server: MULTI/EXEC, a WATCH retry loop with several
// concurrent clients, and pipelines. Run by ../test_ioredis.py, or by hand:
//
//   REDIS_PORT=6379 node transactions.js
//
// Environment: REDIS_PORT (required), REDIS_HOST (default 127.0.0.1), TX_CLIENTS (default 5),
// TX_INCREMENTS (per client, default 40), TX_DEADLINE_MS (whole run, default 60000).
// Prints one line per check and a summary; exits 0 only if every check passed.
// The script uses keys under "iotx:" and flushes nothing: give it an empty server.

'use strict';

const assert = require('node:assert/strict');
const Redis = require('ioredis');

const HOST = process.env.REDIS_HOST || '127.0.0.1';
const PORT = Number(process.env.REDIS_PORT);
const CLIENTS = Number(process.env.TX_CLIENTS || 5);
const INCREMENTS = Number(process.env.TX_INCREMENTS || 40);
const DEADLINE_MS = Number(process.env.TX_DEADLINE_MS || 60000);
const MAX_ATTEMPTS = 10000; // per increment, so that a WATCH that never lets go fails

if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error('REDIS_PORT must be set to the server port');
  process.exit(2);
}

const deadline = setTimeout(() => {
  console.error(`FAIL: not finished within ${DEADLINE_MS} ms`);
  process.exit(3);
}, DEADLINE_MS);

const opened = [];
function client() {
  const c = new Redis({
    host: HOST,
    port: PORT,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // no reconnects: a dropped connection is a failure
    lazyConnect: true,
  });
  c.on('error', () => {}); // reported through the rejected commands instead
  opened.push(c);
  return c;
}

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)${detail ? ': ' + detail : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

// [[err, value], ...] -> values, asserting no error
function values(replies) {
  assert.ok(Array.isArray(replies), `expected an array of replies, got ${replies}`);
  return replies.map(([err, v], i) => {
    assert.equal(err, null, `reply ${i} is an error: ${err}`);
    return v;
  });
}

async function main() {
  const r = client();
  await r.connect();

  await check('multi().set().incr().exec()', async () => {
    const replies = await r.multi().set('iotx:k', 'v').incr('iotx:c').incr('iotx:c').get('iotx:k').exec();
    assert.deepEqual(values(replies), ['OK', 1, 2, 'v']);
    assert.equal(await r.get('iotx:c'), '2');
  });

  await check('multi() with a runtime error keeps the other replies', async () => {
    await r.set('iotx:str', 'x');
    const replies = await r.multi().lpush('iotx:str', 'a').incr('iotx:c').exec();
    assert.equal(replies.length, 2);
    assert.ok(replies[0][0] instanceof Error, 'first reply should be an error');
    assert.match(replies[0][0].message, /^WRONGTYPE Operation against a key holding the wrong kind of value$/);
    assert.deepEqual(replies[1], [null, 3]);
  });

  await check('multi() with a queuing error rejects with EXECABORT', async () => {
    let err;
    try {
      await r.multi().set('iotx:never', '1').call('SET', 'iotx:k').exec();
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'exec() should have rejected');
    assert.equal(err.message, 'EXECABORT Transaction discarded because of previous errors.');
    assert.deepEqual((err.previousErrors || []).map((e) => e.message),
      ["ERR wrong number of arguments for 'set' command"]);
    assert.equal(await r.exists('iotx:never'), 0);
    assert.equal(await r.ping(), 'PONG');
  });

  await check('multi({pipeline: false}): commands answer QUEUED one by one', async () => {
    const c = client(); // its own connection, so a failure cannot leave r inside MULTI
    await c.connect();
    assert.equal(await c.multi({ pipeline: false }), 'OK');
    assert.deepEqual(await Promise.all([c.set('iotx:np', '1'), c.incr('iotx:np')]), ['QUEUED', 'QUEUED']);
    assert.deepEqual(values(await c.exec()), ['OK', 2]);
    assert.equal(await c.get('iotx:np'), '2');
    await c.quit();
  });

  await check('watch() then another client writes: exec() resolves null', async () => {
    const other = client();
    await other.connect();
    await r.set('iotx:w', '1');
    assert.equal(await r.watch('iotx:w'), 'OK');
    await other.set('iotx:w', '2');
    const replies = await r.multi().set('iotx:w', 'mine').exec();
    assert.equal(replies, null);
    assert.equal(await r.get('iotx:w'), '2');
    // EXEC dropped the watch: the next transaction goes through
    await other.set('iotx:w', '3');
    assert.deepEqual(values(await r.multi().get('iotx:w').exec()), ['3']);
    // unwatch()
    assert.equal(await r.watch('iotx:w'), 'OK');
    assert.equal(await r.unwatch(), 'OK');
    await other.set('iotx:w', '4');
    assert.deepEqual(values(await r.multi().get('iotx:w').exec()), ['4']);
    await other.quit();
  });

  await check(`WATCH retry loop, ${CLIENTS} clients x ${INCREMENTS} increments`, async () => {
    await r.set('iotx:counter', '0');
    const workers = [];
    for (let i = 0; i < CLIENTS; i++) workers.push(client());
    await Promise.all(workers.map((c) => c.connect()));
    let retries = 0;
    async function work(c, i) {
      for (let n = 0; n < INCREMENTS; n++) {
        for (let attempt = 0; ; attempt++) {
          if (attempt >= MAX_ATTEMPTS) throw new Error('WATCH never let an increment through');
          await c.watch('iotx:counter');
          const value = Number(await c.get('iotx:counter'));
          const replies = await c.multi()
            .set('iotx:counter', String(value + 1))
            .hset(`iotx:worker:${i}`, 'done', String(n + 1))
            .exec();
          if (replies === null) {
            retries++;
            continue;
          }
          assert.deepEqual(values(replies), ['OK', n === 0 ? 1 : 0]);
          break;
        }
      }
    }
    await Promise.all(workers.map((c, i) => work(c, i)));
    assert.equal(Number(await r.get('iotx:counter')), CLIENTS * INCREMENTS);
    for (let i = 0; i < CLIENTS; i++) {
      assert.equal(await r.hget(`iotx:worker:${i}`, 'done'), String(INCREMENTS));
    }
    await Promise.all(workers.map((c) => c.quit()));
    return `${retries} retries`;
  });

  await check('pipeline() of mixed commands', async () => {
    const replies = await r.pipeline()
      .set('iotx:p', '1')
      .incr('iotx:p')
      .get('iotx:p')
      .hset('iotx:ph', 'f', 'v', 'g', 'w')
      .hgetall('iotx:ph')
      .sadd('iotx:ps', 'a', 'b')
      .scard('iotx:ps')
      .zadd('iotx:pz', 1.5, 'm')
      .zscore('iotx:pz', 'm')
      .rpush('iotx:pl', 'x', 'y')
      .lrange('iotx:pl', 0, -1)
      .get('iotx:missing')
      .exec();
    assert.deepEqual(values(replies),
      ['OK', 2, '2', 2, { f: 'v', g: 'w' }, 2, 2, 1, '1.5', 2, ['x', 'y'], null]);
  });

  await check('pipeline() with an error keeps the other replies', async () => {
    const replies = await r.pipeline().lpush('iotx:str', 'a').incr('iotx:pc').call('SET', 'iotx:k').get('iotx:pc').exec();
    assert.equal(replies.length, 4);
    assert.match(replies[0][0].message, /^WRONGTYPE /);
    assert.deepEqual(replies[1], [null, 1]);
    assert.equal(replies[2][0].message, "ERR wrong number of arguments for 'set' command");
    assert.deepEqual(replies[3], [null, '1']);
  });

  await r.quit();
}

main()
  .catch((e) => {
    results.push({ name: 'main', ok: false });
    console.log(`FAIL main: ${e && e.stack ? e.stack : e}`);
  })
  .finally(() => {
    clearTimeout(deadline);
    for (const c of opened) c.disconnect();
    const failed = results.filter((x) => !x.ok).length;
    console.log(`ioredis: ${results.length - failed} passed, ${failed} failed`);
    process.exit(failed === 0 && results.length > 0 ? 0 : 1);
  });

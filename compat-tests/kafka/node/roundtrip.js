#!/usr/bin/env node
// kafkajs against a Kafka-protocol server: admin (create topic, offsets, delete), an
// idempotent producer with keys and gzip, and a consumer group of two members that must see
// every message exactly once, in per-partition order. Run by ../test_kafka_kafkajs.py, or by
// hand:
//
//   KAFKA_BOOTSTRAP=127.0.0.1:9092 node roundtrip.js
//
// Environment: KAFKA_BOOTSTRAP (required), KJS_MESSAGES (default 3000), KJS_DEADLINE_MS
// (whole run, default 90000). Prints one line per check and a summary; exits 0 only if every
// check passed. Topic and group names are unique per run.

'use strict';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const assert = require('node:assert/strict');
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');

const BOOTSTRAP = process.env.KAFKA_BOOTSTRAP;
const MESSAGES = Number(process.env.KJS_MESSAGES || 3000);
const DEADLINE_MS = Number(process.env.KJS_DEADLINE_MS || 90000);
const PARTITIONS = 3;

if (!BOOTSTRAP) {
  console.error('KAFKA_BOOTSTRAP must be set to host:port');
  process.exit(2);
}

const deadline = setTimeout(() => {
  console.error(`FAIL: not finished within ${DEADLINE_MS} ms`);
  process.exit(3);
}, DEADLINE_MS);

const suffix = `${process.pid}-${Date.now()}`;
const TOPIC = `kjs-${suffix}`;
const GROUP = `kjs-group-${suffix}`;

const kafka = new Kafka({
  clientId: 'compat-kafkajs',
  brokers: [BOOTSTRAP],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 8, initialRetryTime: 100 },
});

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

/** Resolves once cond() is true, polling; rejects past ms. */
async function until(cond, ms, what) {
  return untilAsync(async () => cond(), ms, what);
}

async function untilAsync(cond, ms, what) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  const sent = []; // {partition, offset, key, value}

  await check('admin createTopics and metadata', async () => {
    const created = await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    assert.equal(created, true);
    const again = await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
    assert.equal(again, false, 'creating it again should report "not created"');
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    assert.equal(md.topics.length, 1);
    assert.deepEqual(md.topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
    const topics = await admin.listTopics();
    assert.ok(topics.includes(TOPIC));
  });

  const seen = new Map(); // "p/o" -> {member, key, value}
  const dups = [];
  const orderErrors = [];
  const members = [];
  const assigned = [null, null]; // each member's partitions of its latest join
  await check('consumer group of two forms, partitions shared', async () => {
    for (let m = 0; m < 2; m++) {
      const consumer = kafka.consumer({
        groupId: GROUP,
        sessionTimeout: 6000,
        heartbeatInterval: 500,
        rebalanceTimeout: 10000,
        maxWaitTimeInMs: 100,
      });
      members.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assigned[m] = (e.payload.memberAssignment[TOPIC] || []).slice().sort();
      });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const last = new Map();
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 200,
        eachMessage: async ({ partition, message }) => {
          const k = `${partition}/${message.offset}`;
          if (seen.has(k)) dups.push(k);
          seen.set(k, { member: m, key: message.key.toString(), value: message.value.toString(),
            n: message.headers.n.toString() });
          const prev = last.get(partition);
          if (prev !== undefined && Number(message.offset) !== prev + 1) {
            orderErrors.push(`member ${m} p${partition}: ${prev} then ${message.offset}`);
          }
          last.set(partition, Number(message.offset));
        },
      });
    }
    await until(() => assigned.every((a) => a && a.length > 0) &&
      [...assigned[0], ...assigned[1]].sort().join() === '0,1,2', 30000,
    () => `both members assigned (${JSON.stringify(assigned)})`);
    return JSON.stringify(assigned);
  });

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await check('idempotent producer, keys, gzip, acks=all', async () => {
    const chunk = 500;
    for (let start = 0; start < MESSAGES; start += chunk) {
      const messages = [];
      for (let i = start; i < Math.min(MESSAGES, start + chunk); i++) {
        messages.push({ key: `key-${i % 37}`, value: `kjs-${i}`, headers: { n: String(i) } });
      }
      const meta = await producer.send({
        topic: TOPIC,
        acks: -1,
        compression: start % 1000 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
        messages,
      });
      for (const m of meta) assert.equal(m.errorCode, 0);
    }
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    assert.equal(total, MESSAGES);
    return offsets.map((p) => `p${p.partition}=${p.high}`).join(' ');
  });

  await check('every message consumed once, in order, by both members', async () => {
    await until(() => seen.size >= MESSAGES, 60000, () => `${MESSAGES} messages (have ${seen.size})`);
    assert.equal(seen.size, MESSAGES);
    assert.deepEqual(dups, []);
    assert.deepEqual(orderErrors, []);
    const values = new Set([...seen.values()].map((v) => v.value));
    assert.equal(values.size, MESSAGES);
    for (const v of seen.values()) {
      assert.equal(v.value, `kjs-${v.n}`);
      assert.equal(v.key, `key-${Number(v.n) % 37}`);
    }
    // one key, one partition; each partition read by the member it was assigned to
    const keyPart = new Map();
    for (const [po, v] of seen) {
      const p = Number(po.split('/')[0]);
      if (keyPart.has(v.key)) assert.equal(keyPart.get(v.key), p, `key ${v.key}`);
      keyPart.set(v.key, p);
      assert.ok(assigned[v.member].includes(p), `member ${v.member} read partition ${p}`);
    }
    const byMember = [0, 1].map((m) => [...seen.values()].filter((v) => v.member === m).length);
    assert.ok(byMember[0] > 0 && byMember[1] > 0, `by member ${byMember}`);
    return `by member ${byMember.join('/')}`;
  });

  await check('group offsets committed to the end, describeGroups', async () => {
    const high = new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, p.high]));
    // autoCommit commits every 200 ms: poll the group's offsets until they reach the end
    let committed = [];
    await untilAsync(async () => {
      const r = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      committed = r[0].partitions;
      return committed.every((p) => p.offset === high.get(p.partition));
    }, 20000, () => `commits at the end (${JSON.stringify(committed)})`);
    assert.deepEqual(committed.map((p) => [p.partition, p.offset]).sort(),
      [...high.entries()].sort());
    const desc = await admin.describeGroups([GROUP]);
    assert.equal(desc.groups.length, 1);
    assert.equal(desc.groups[0].state, 'Stable');
    assert.equal(desc.groups[0].protocolType, 'consumer');
    assert.equal(desc.groups[0].members.length, 2);
    const listed = await admin.listGroups();
    assert.ok(listed.groups.some((g) => g.groupId === GROUP));
  });

  for (const c of members) await c.disconnect();
  await producer.disconnect();

  await check('offsets by timestamp, delete topic', async () => {
    const r = await admin.fetchTopicOffsetsByTimestamp(TOPIC, 0);
    assert.deepEqual(r.map((p) => [p.partition, p.offset]).sort(),
      [[0, '0'], [1, '0'], [2, '0']]);
    await admin.deleteTopics({ topics: [TOPIC] });
    const topics = await admin.listTopics();
    assert.ok(!topics.includes(TOPIC), 'deleted topic still listed');
  });

  await admin.disconnect();
}

main()
  .catch((e) => {
    results.push({ name: 'main', ok: false });
    console.log(`FAIL main: ${e && e.stack ? e.stack : e}`);
  })
  .finally(() => {
    clearTimeout(deadline);
    const failed = results.filter((r) => !r.ok).length;
    console.log(`kafkajs: ${results.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });

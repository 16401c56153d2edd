//! kafka-load: the librdkafka load tool of bench/kafka.
//!
//!   kafka-load create   --brokers B --topic T [--partitions 1]
//!   kafka-load produce  --brokers B --topic T --records N --size S [--acks 1|all]
//!                       [--linger-ms 5] [--batch-size 1000000] [--timeout-s 120]
//!   kafka-load consume  --brokers B --topic T --records N [--fetch-bytes 52428800]
//!                       [--timeout-s 120]
//!   kafka-load latency  --brokers B --topic T [--rate 10000] [--seconds 10] [--size 100]
//!                       [--acks all] [--linger-ms 1] [--warmup-s 1] [--timeout-s 60]
//!   every command: [--X 'librdkafka.key=value;...'] to override any client setting
//!
//! Every command prints one JSON object on stdout (the result) and progress/errors on stderr;
//! the exit code is non-zero when the run did not complete (its JSON still says how far it got).
//!
//! produce: like `rdkafka_performance -P`: one partition (0), a fixed payload of `size` bytes,
//!   no key, no compression, large local queue; the clock runs from the first send to the last
//!   delivery report.
//! consume: librdkafka's legacy consumer as `rdkafka_performance -C` runs it (no group.id:
//!   partition 0 started at offset 0 on a queue, records handed to a callback),
//!   counted until `records` records arrived. fetch.max.bytes is 50 MB;
//!   max.partition.fetch.bytes is `fetch-bytes`. The client connects (a ListOffsets for the
//!   high watermark) before the clock starts; the clock runs from the start of consumption to
//!   the last record, so it includes the first fetch. `rps_first` counts from the first record
//!   received instead, as rdkafka_performance does (which leaves the first fetch out: with
//!   large fetches, a good part of the data).
//! latency: a producer paced at `rate` records/s for `seconds`, each payload starting with the
//!   time it was handed to librdkafka (ns on this process's monotonic clock); a consumer of the
//!   same process, started at the partition's end before the producer starts, records
//!   receive time minus that stamp. Records sent during the first `warmup-s` are not counted.

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaType;

type Args = HashMap<String, String>;

/// librdkafka's log lines and errors on stderr (with `--X debug=...`, its debug contexts too).
struct Stderr;

fn log_line(level: RDKafkaLogLevel, fac: &str, msg: &str) {
    eprintln!("librdkafka {level:?} {fac}: {msg}");
}

/// Prints (and drops) the log and error events waiting on a client's main queue, where
/// librdkafka puts its log lines; for the clients nothing else polls (admin, legacy consumer).
fn drain_logs(rk: *mut rd::rd_kafka_t) {
    // SAFETY: `rk` is a live handle; every event polled is destroyed once.
    unsafe {
        let q = rd::rd_kafka_queue_get_main(rk);
        if q.is_null() {
            return;
        }
        loop {
            let ev = rd::rd_kafka_queue_poll(q, 0);
            if ev.is_null() {
                break;
            }
            match rd::rd_kafka_event_type(ev) {
                rd::RD_KAFKA_EVENT_LOG => {
                    let (mut fac, mut msg, mut level) = (std::ptr::null(), std::ptr::null(), 0);
                    if rd::rd_kafka_event_log(ev, &mut fac, &mut msg, &mut level) == 0 {
                        let s = |p: *const std::ffi::c_char| {
                            if p.is_null() {
                                String::new()
                            } else {
                                std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
                            }
                        };
                        eprintln!("librdkafka {level} {}: {}", s(fac), s(msg));
                    }
                }
                rd::RD_KAFKA_EVENT_ERROR => {
                    let p = rd::rd_kafka_event_error_string(ev);
                    if !p.is_null() {
                        eprintln!("librdkafka error: {}", std::ffi::CStr::from_ptr(p).to_string_lossy());
                    }
                }
                _ => {}
            }
            rd::rd_kafka_event_destroy(ev);
        }
        rd::rd_kafka_queue_destroy(q);
    }
}

impl ClientContext for Stderr {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        log_line(level, fac, msg);
    }
    fn error(&self, error: KafkaError, reason: &str) {
        eprintln!("librdkafka error: {error}: {reason}");
    }
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let mut out = HashMap::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let Some(k) = a.strip_prefix("--") else {
            return Err(format!("unexpected argument {a}"));
        };
        if let Some((k, v)) = k.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        } else {
            let v = it.next().ok_or_else(|| format!("--{k} needs a value"))?;
            out.insert(k.to_string(), v.clone());
        }
    }
    Ok(out)
}

fn get<T: std::str::FromStr>(a: &Args, k: &str, default: Option<T>) -> Result<T, String> {
    match a.get(k) {
        Some(v) => v.parse().map_err(|_| format!("--{k}: bad value {v:?}")),
        None => default.ok_or_else(|| format!("--{k} is required")),
    }
}

fn log(msg: &str) {
    eprintln!("kafka-load: {msg}");
}

/// Settings shared by every client; `extra` is `--X 'key=value;key=value'` (librdkafka names).
fn base_config(a: &Args) -> Result<ClientConfig, String> {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", get::<String>(a, "brokers", None)?)
        .set("client.id", "kafka-load")
        .set("socket.nagle.disable", "true");
    let mut debug = false;
    if let Some(x) = a.get("X") {
        for kv in x.split(';').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("--X {kv}: want key=value"))?;
            debug |= k == "debug";
            c.set(k, v);
        }
    }
    c.set_log_level(if debug { RDKafkaLogLevel::Debug } else { RDKafkaLogLevel::Info });
    Ok(c)
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

// ------------------------------------------------------------------------------------ create

fn create(a: &Args) -> Result<bool, String> {
    let topic: String = get(a, "topic", None)?;
    let partitions: i32 = get(a, "partitions", Some(1))?;
    let admin: AdminClient<Stderr> = base_config(a)?
        .create_with_context(Stderr)
        .map_err(|e| format!("admin client: {e}"))?;
    let nt = NewTopic::new(&topic, partitions, TopicReplication::Fixed(-1));
    let timeout: u64 = get(a, "timeout-s", Some(20))?;
    let opts = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(10)))
        .request_timeout(Some(Duration::from_secs(timeout.max(1))));
    let res = futures_executor::block_on(admin.create_topics([&nt], &opts));
    drain_logs(admin.inner().native_ptr());
    let res = res.map_err(|e| format!("create_topics: {e}"))?;
    for r in res {
        match r {
            Ok(t) => println!("{{\"created\":{}}}", json_str(&t)),
            Err((t, RDKafkaErrorCode::TopicAlreadyExists)) => {
                println!("{{\"exists\":{}}}", json_str(&t))
            }
            Err((t, e)) => return Err(format!("creating {t}: {e}")),
        }
    }
    Ok(true)
}

// ----------------------------------------------------------------------------------- produce

#[derive(Default)]
struct Deliveries {
    ok: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

/// The producer's context: a handle on the counters the caller also holds.
struct Counted(Arc<Deliveries>);

impl ClientContext for Counted {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        log_line(level, fac, msg);
    }
    fn error(&self, error: KafkaError, reason: &str) {
        eprintln!("librdkafka error: {error}: {reason}");
    }
}

impl ProducerContext for Counted {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(_) => {
                self.0.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
                let mut f = self.0.first_error.lock().unwrap();
                if f.is_none() {
                    *f = Some(e.to_string());
                }
            }
        }
    }
}

fn producer_config(a: &Args, linger_default: u32) -> Result<ClientConfig, String> {
    let mut c = base_config(a)?;
    let acks: String = get(a, "acks", Some("1".to_string()))?;
    let linger: u32 = get(a, "linger-ms", Some(linger_default))?;
    let batch: u32 = get(a, "batch-size", Some(1_000_000))?;
    c.set("acks", acks)
        .set("linger.ms", linger.to_string())
        .set("batch.size", batch.to_string())
        .set("batch.num.messages", "1000000")
        .set("queue.buffering.max.messages", "10000000")
        .set("queue.buffering.max.kbytes", "4194304")
        .set("compression.codec", "none")
        .set("enable.idempotence", "false")
        .set("message.timeout.ms", "60000");
    // --X wins over the defaults above.
    if let Some(x) = a.get("X") {
        for kv in x.split(';').filter(|s| !s.is_empty()) {
            if let Some((k, v)) = kv.split_once('=') {
                c.set(k, v);
            }
        }
    }
    Ok(c)
}

fn produce(a: &Args) -> Result<bool, String> {
    let topic: String = get(a, "topic", None)?;
    let records: u64 = get(a, "records", None)?;
    let size: usize = get(a, "size", Some(100))?;
    let timeout = Duration::from_secs(get(a, "timeout-s", Some(120))?);
    let ctx = Arc::new(Deliveries::default());
    let producer: BaseProducer<Counted> = producer_config(a, 5)?
        .create_with_context(Counted(ctx.clone()))
        .map_err(|e| format!("producer: {e}"))?;
    // Connect and learn the partition's leader before the clock starts.
    producer
        .client()
        .fetch_metadata(Some(&topic), Duration::from_secs(10))
        .map_err(|e| format!("metadata: {e}"))?;
    let payload: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let start = Instant::now();
    let deadline = start + timeout;
    let mut sent = 0u64;
    let mut timed_out = false;
    'send: while sent < records {
        let mut rec = BaseRecord::<(), [u8]>::to(&topic).partition(0).payload(&payload[..]);
        loop {
            match producer.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    rec = r;
                    producer.poll(Duration::from_millis(1));
                    if Instant::now() > deadline {
                        timed_out = true;
                        break 'send;
                    }
                }
                Err((e, _)) => return Err(format!("send: {e}")),
            }
        }
        sent += 1;
        if sent % 1024 == 0 {
            producer.poll(Duration::ZERO);
            if ctx.failed.load(Ordering::Relaxed) > 0 {
                break;
            }
        }
    }
    let sent_at = start.elapsed();
    // Wait for every delivery report.
    while ctx.ok.load(Ordering::Relaxed) + ctx.failed.load(Ordering::Relaxed) < sent {
        if Instant::now() > deadline {
            timed_out = true;
            break;
        }
        producer.poll(Duration::from_millis(5));
    }
    let secs = start.elapsed().as_secs_f64();
    let ok = ctx.ok.load(Ordering::Relaxed);
    let failed = ctx.failed.load(Ordering::Relaxed);
    let err = ctx.first_error.lock().unwrap().clone();
    println!(
        "{{\"op\":\"produce\",\"records\":{ok},\"failed\":{failed},\"sent\":{sent},\"size\":{size},\
         \"secs\":{secs:.6},\"send_secs\":{:.6},\"rps\":{:.1},\"mbps\":{:.3},\"timed_out\":{timed_out},\
         \"error\":{}}}",
        sent_at.as_secs_f64(),
        ok as f64 / secs,
        ok as f64 * size as f64 / secs / 1e6,
        err.as_deref().map(json_str).unwrap_or_else(|| "null".into()),
    );
    if let Some(e) = &err {
        log(&format!("{failed} deliveries failed, first: {e}"));
    }
    // Nothing left in flight: do not wait on close.
    let _ = producer.flush(Duration::from_secs(1));
    Ok(ok == records && !timed_out)
}

// ----------------------------------------------------------------------------------- consume

fn consumer_config(a: &Args) -> Result<ClientConfig, String> {
    let mut c = base_config(a)?;
    let fetch: u32 = get(a, "fetch-bytes", Some(52_428_800))?;
    c.set("enable.partition.eof", "false")
        .set("fetch.max.bytes", "52428800")
        .set("max.partition.fetch.bytes", fetch.to_string())
        .set("receive.message.max.bytes", "104857600")
        .set("queued.min.messages", "1000000")
        .set("queued.max.messages.kbytes", "1048576")
        .set("fetch.wait.max.ms", "100")
        .set("check.crcs", "false");
    if let Some(x) = a.get("X") {
        for kv in x.split(';').filter(|s| !s.is_empty()) {
            if let Some((k, v)) = kv.split_once('=') {
                c.set(k, v);
            }
        }
    }
    Ok(c)
}

/// librdkafka's legacy (simple) consumer, as `rdkafka_performance -C` uses it: no group, one
/// partition started at an offset on a queue of its own, records handed to a callback.
struct Legacy {
    client: Client<Stderr>,
    rkt: *mut rd::rd_kafka_topic_t,
    rkqu: *mut rd::rd_kafka_queue_t,
    partition: i32,
}

impl Legacy {
    fn new(cfg: &ClientConfig, topic: &str, partition: i32) -> Result<Legacy, String> {
        let native = cfg.create_native_config().map_err(|e| format!("consumer config: {e}"))?;
        let client = Client::new(cfg, native, RDKafkaType::RD_KAFKA_CONSUMER, Stderr)
            .map_err(|e| format!("consumer: {e}"))?;
        let name = CString::new(topic).map_err(|_| "topic name has a NUL".to_string())?;
        // SAFETY: the handle outlives the topic and queue (destroyed first, in Drop).
        let (rkt, rkqu) = unsafe {
            let rk = client.native_ptr();
            (rd::rd_kafka_topic_new(rk, name.as_ptr(), std::ptr::null_mut()), rd::rd_kafka_queue_new(rk))
        };
        if rkt.is_null() || rkqu.is_null() {
            return Err("creating the topic handle or queue failed".into());
        }
        Ok(Legacy { client, rkt, rkqu, partition })
    }

    fn high_watermark(&self, topic: &str) -> Result<i64, String> {
        let name = CString::new(topic).unwrap();
        let (mut lo, mut hi) = (0i64, 0i64);
        // SAFETY: valid handle and out-pointers.
        let err = unsafe {
            rd::rd_kafka_query_watermark_offsets(
                self.client.native_ptr(), name.as_ptr(), self.partition, &mut lo, &mut hi, 10_000)
        };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(format!("watermarks: {}", RDKafkaErrorCode::from(err)));
        }
        Ok(hi)
    }

    fn start(&self, offset: i64) -> Result<(), String> {
        // SAFETY: valid topic handle and queue.
        let r = unsafe { rd::rd_kafka_consume_start_queue(self.rkt, self.partition, offset, self.rkqu) };
        if r == -1 {
            return Err(format!("consume_start: {}", unsafe {
                RDKafkaErrorCode::from(rd::rd_kafka_last_error())
            }));
        }
        Ok(())
    }

    /// Hands every record (or error) that arrives within `timeout` to `f`.
    fn poll<F: FnMut(&rd::rd_kafka_message_t)>(&self, timeout: Duration, f: &mut F) {
        unsafe extern "C" fn trampoline<F: FnMut(&rd::rd_kafka_message_t)>(
            m: *mut rd::rd_kafka_message_t,
            opaque: *mut c_void,
        ) {
            // SAFETY: `opaque` is the `&mut F` passed below, alive for the call; `m` is valid
            // until the callback returns (librdkafka destroys it after).
            let f = unsafe { &mut *(opaque as *mut F) };
            f(unsafe { &*m });
        }
        drain_logs(self.client.native_ptr());
        // SAFETY: the queue is valid; the closure outlives the call.
        unsafe {
            rd::rd_kafka_consume_callback_queue(
                self.rkqu,
                timeout.as_millis() as i32,
                Some(trampoline::<F>),
                f as *mut F as *mut c_void,
            );
        }
    }
}

impl Drop for Legacy {
    fn drop(&mut self) {
        // SAFETY: created in new(), destroyed once, before the handle (`client`) is.
        unsafe {
            rd::rd_kafka_consume_stop(self.rkt, self.partition);
            rd::rd_kafka_queue_destroy(self.rkqu);
            rd::rd_kafka_topic_destroy(self.rkt);
        }
    }
}

fn payload(m: &rd::rd_kafka_message_t) -> &[u8] {
    if m.payload.is_null() {
        &[]
    } else {
        // SAFETY: librdkafka's payload pointer and length, valid while `m` is.
        unsafe { std::slice::from_raw_parts(m.payload as *const u8, m.len) }
    }
}

fn consume(a: &Args) -> Result<bool, String> {
    let topic: String = get(a, "topic", None)?;
    let records: u64 = get(a, "records", None)?;
    let timeout = Duration::from_secs(get(a, "timeout-s", Some(120))?);
    let setup = Instant::now();
    let c = Legacy::new(&consumer_config(a)?, &topic, 0)?;
    // Connects to the partition's leader before the clock starts.
    let high = c.high_watermark(&topic)?;
    let start = Instant::now();
    let setup_secs = (start - setup).as_secs_f64();
    c.start(0)?;
    let deadline = setup + timeout;
    let mut n = 0u64;
    let mut bytes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = start;
    let mut errors = 0u64;
    let mut first_error: Option<String> = None;
    let mut next_offset = 0i64;
    let mut gaps = 0u64;
    while n < records && Instant::now() < deadline {
        let mut on = |m: &rd::rd_kafka_message_t| {
            if m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    errors += 1;
                    if first_error.is_none() {
                        first_error = Some(RDKafkaErrorCode::from(m.err).to_string());
                    }
                }
                return;
            }
            if first.is_none() {
                first = Some(Instant::now());
            }
            if m.offset != next_offset {
                gaps += 1;
            }
            next_offset = m.offset + 1;
            n += 1;
            bytes += m.len as u64;
            if n == records {
                last = Instant::now();
            }
        };
        c.poll(Duration::from_millis(100), &mut on);
    }
    if n < records {
        last = Instant::now();
    }
    if let Some(e) = &first_error {
        log(&format!("consume error: {e}"));
    }
    let secs = (last - start).as_secs_f64().max(1e-9);
    let secs_first = first.map(|f| (last - f).as_secs_f64()).unwrap_or(secs).max(1e-9);
    println!(
        "{{\"op\":\"consume\",\"records\":{n},\"bytes\":{bytes},\"high_watermark\":{high},\
         \"secs\":{secs:.6},\"secs_first\":{secs_first:.6},\"setup_secs\":{setup_secs:.6},\
         \"rps\":{:.1},\"mbps\":{:.3},\"rps_first\":{:.1},\"errors\":{errors},\
         \"gaps\":{gaps},\"error\":{}}}",
        n as f64 / secs,
        bytes as f64 / secs / 1e6,
        n as f64 / secs_first,
        first_error.as_deref().map(json_str).unwrap_or_else(|| "null".into()),
    );
    Ok(n >= records && gaps == 0)
}

// ----------------------------------------------------------------------------------- latency

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1e6
}

fn latency(a: &Args) -> Result<bool, String> {
    let topic: String = get(a, "topic", None)?;
    let rate: f64 = get(a, "rate", Some(10_000.0))?;
    let seconds: f64 = get(a, "seconds", Some(10.0))?;
    let warmup: f64 = get(a, "warmup-s", Some(1.0))?;
    let size: usize = get::<usize>(a, "size", Some(100))?.max(8);
    let timeout = Duration::from_secs(get(a, "timeout-s", Some(60))?);
    let mut pa = a.clone();
    pa.entry("acks".into()).or_insert_with(|| "all".into());
    let ctx = Arc::new(Deliveries::default());
    let producer: BaseProducer<Counted> = producer_config(&pa, 1)?
        .create_with_context(Counted(ctx.clone()))
        .map_err(|e| format!("producer: {e}"))?;
    let consumer = Legacy::new(consumer_config(a)?.set("fetch.wait.max.ms", "500"), &topic, 0)?;

    // A first record makes sure the topic exists and the producer is connected.
    producer
        .send(BaseRecord::<(), [u8]>::to(&topic).partition(0).payload(&[0u8; 8][..]))
        .map_err(|(e, _)| format!("send: {e}"))?;
    producer
        .flush(Duration::from_secs(10))
        .map_err(|e| format!("first record: {e}"))?;
    let high = consumer.high_watermark(&topic)?;
    consumer.start(high)?;
    // Let the consumer connect and send its first fetch.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(500) {
        consumer.poll(Duration::from_millis(50), &mut |_| {});
    }

    let epoch = Instant::now();
    let total = (rate * seconds).round() as u64;
    let warm = (rate * warmup).round() as u64;
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let prod = {
        let done = done.clone();
        let sent = sent.clone();
        let topic = topic.clone();
        std::thread::spawn(move || -> Result<(), String> {
            let period = 1.0 / rate;
            let mut payload = vec![b'x'; size];
            for i in 0..total {
                let due = epoch + Duration::from_secs_f64(i as f64 * period);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let stamp = epoch.elapsed().as_nanos() as u64;
                payload[..8].copy_from_slice(&stamp.to_le_bytes());
                payload[size - 8..].copy_from_slice(&i.to_le_bytes());
                let mut rec = BaseRecord::<(), [u8]>::to(&topic).partition(0).payload(&payload[..]);
                loop {
                    match producer.send(rec) {
                        Ok(()) => break,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                            rec = r;
                            producer.poll(Duration::from_millis(1));
                        }
                        Err((e, _)) => return Err(format!("send: {e}")),
                    }
                }
                sent.fetch_add(1, Ordering::Relaxed);
                producer.poll(Duration::ZERO);
            }
            let _ = producer.flush(Duration::from_secs(30));
            done.store(true, Ordering::Release);
            Ok(())
        })
    };

    let deadline = epoch + timeout;
    let mut lats: Vec<u64> = Vec::with_capacity(total as usize);
    let mut received = 0u64;
    let mut errors = 0u64;
    while Instant::now() < deadline {
        if done.load(Ordering::Acquire) && received >= sent.load(Ordering::Relaxed) {
            break;
        }
        let mut on = |m: &rd::rd_kafka_message_t| {
            let now = epoch.elapsed().as_nanos() as u64;
            if m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                if m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    errors += 1;
                    if errors == 1 {
                        log(&format!("consume error: {}", RDKafkaErrorCode::from(m.err)));
                    }
                }
                return;
            }
            let p = payload(m);
            if p.len() >= 16 {
                let stamp = u64::from_le_bytes(p[..8].try_into().unwrap());
                let seq = u64::from_le_bytes(p[p.len() - 8..].try_into().unwrap());
                received += 1;
                if seq >= warm {
                    lats.push(now.saturating_sub(stamp));
                }
            }
        };
        consumer.poll(Duration::from_millis(20), &mut on);
    }
    let prod_res = if done.load(Ordering::Acquire) {
        prod.join().map_err(|_| "producer thread panicked".to_string())?
    } else {
        Err("producer did not finish in time".into())
    };
    let elapsed = epoch.elapsed().as_secs_f64();
    lats.sort_unstable();
    let failed = ctx.failed.load(Ordering::Relaxed);
    let mean = if lats.is_empty() {
        f64::NAN
    } else {
        lats.iter().map(|&x| x as f64).sum::<f64>() / lats.len() as f64 / 1e6
    };
    println!(
        "{{\"op\":\"latency\",\"rate\":{rate},\"sent\":{},\"received\":{received},\"measured\":{},\
         \"failed\":{failed},\"secs\":{elapsed:.3},\"p50_ms\":{:.3},\"p90_ms\":{:.3},\"p99_ms\":{:.3},\
         \"p999_ms\":{:.3},\"max_ms\":{:.3},\"mean_ms\":{mean:.3},\"errors\":{errors},\"error\":{}}}",
        sent.load(Ordering::Relaxed),
        lats.len(),
        percentile(&lats, 50.0),
        percentile(&lats, 90.0),
        percentile(&lats, 99.0),
        percentile(&lats, 99.9),
        lats.last().map(|&x| x as f64 / 1e6).unwrap_or(f64::NAN),
        prod_res.as_ref().err().map(|e| json_str(e)).unwrap_or_else(|| "null".into()),
    );
    Ok(prod_res.is_ok() && received >= total && failed == 0)
}

// -------------------------------------------------------------------------------------- main

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first().cloned() else {
        eprintln!("usage: kafka-load create|produce|consume|latency --brokers HOST:PORT --topic T ...");
        return ExitCode::from(2);
    };
    if cmd == "-h" || cmd == "--help" {
        println!("usage: kafka-load create|produce|consume|latency --brokers HOST:PORT --topic T ...");
        println!("see the top of bench/kafka-load/src/main.rs for the options");
        return ExitCode::SUCCESS;
    }
    let args = match parse(&argv[1..]) {
        Ok(a) => a,
        Err(e) => {
            log(&e);
            return ExitCode::from(2);
        }
    };
    let r = match cmd.as_str() {
        "create" => create(&args),
        "produce" => produce(&args),
        "consume" => consume(&args),
        "latency" => latency(&args),
        other => Err(format!("unknown command {other}")),
    };
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            log(&e);
            ExitCode::from(2)
        }
    }
}

# syntax=docker/dockerfile:1
# Build:  docker build -t trident .
# Run:    docker run -p 6379:6379 -p 8080:8080 -v trident-data:/data trident

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and build artefacts between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin trident \
 && cp target/release/trident /usr/local/bin/trident

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 trident \
 && useradd --system --uid 10001 --gid trident --home-dir /data --shell /usr/sbin/nologin trident \
 && mkdir -p /data \
 && chown trident:trident /data
COPY --from=builder /usr/local/bin/trident /usr/local/bin/trident
USER trident
WORKDIR /data
VOLUME /data
# 6379 RESP, 8080 admin HTTP; 9092, 9042, 7000 for the Kafka, CQL and peer listeners
EXPOSE 6379 8080 9092 9042 7000
ENTRYPOINT ["trident"]
CMD ["serve", "--data-dir", "/data", "--resp-addr", "0.0.0.0:6379", "--admin-addr", "0.0.0.0:8080"]

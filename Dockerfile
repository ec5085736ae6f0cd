# siprov: multi-tenant SIP provisioning API.
#
#   docker build -t siprov .
#   docker run -p 8080:8080 -e SIPROV_BOOTSTRAP_ADMIN_PASSWORD=... siprov
#
# Default database: SQLite at /var/lib/siprov/siprov.db inside the container (mount a volume on
# /var/lib/siprov to keep it). Set SIPROV_DATABASE_URL=postgres://... to use PostgreSQL instead;
# see docker-compose.yml.

# ---------------------------------------------------------------------------------------------
# Build stage
# ---------------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

# diesel's postgres backend links the system libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# 1. Dependencies only, so they stay cached in this layer until Cargo.toml/Cargo.lock change.
#    build.rs and migrations/ come along now: build.rs watches migrations/, and the real source
#    embeds them at compile time (embed_migrations!). The [[test]] target under tests/ is not
#    needed for a release build of the lib and bin.
COPY Cargo.toml Cargo.lock build.rs ./
COPY migrations ./migrations
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && : > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# 2. The real source. COPY keeps the files' original mtimes, which can be older than the dummy
#    build above; touch them so cargo rebuilds the siprov crate itself.
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin siprov

# ---------------------------------------------------------------------------------------------
# Runtime stage
# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# libpq5 is the only shared library the binary needs beyond libc/libgcc (SQLite is bundled,
# JWT uses pure-Rust crypto); ca-certificates for TLS connections to PostgreSQL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 10001 siprov \
    && useradd --uid 10001 --gid siprov --home-dir /var/lib/siprov --no-create-home \
       --shell /usr/sbin/nologin siprov \
    && mkdir -p /var/lib/siprov \
    && chown siprov:siprov /var/lib/siprov \
    && chmod 0750 /var/lib/siprov

COPY --from=builder /build/target/release/siprov /usr/local/bin/siprov

ENV SIPROV_LISTEN=0.0.0.0:8080 \
    SIPROV_DATABASE_URL=sqlite:///var/lib/siprov/siprov.db

WORKDIR /var/lib/siprov
USER 10001:10001
EXPOSE 8080

# No HEALTHCHECK: the slim image has neither curl nor wget, and adding one only for that would
# grow the image. Probe GET /healthz (liveness) and GET /readyz (database reachable) from the
# orchestrator instead; docker-compose.yml gates start-up on PostgreSQL's own health check.

ENTRYPOINT ["/usr/local/bin/siprov"]

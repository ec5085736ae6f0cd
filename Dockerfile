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
#    embeds them at compile time (embed_migrations!). Cargo refuses a manifest whose targets
#    are missing, so every target Cargo.toml names gets an empty stand-in here: the lib, the
#    bin, the [[test]] api, the [[bench]]es d4_query and provisioning and the [[example]]s estate and webhook_receiver (tests, benches
#    and examples are not built, and their real files stay out of this layer so editing a
#    test does not rebuild every crate).
#    .ci/docker-context runs these steps on CI, which is how a new target missing here shows.
#    .cargo/config.toml carries the bundled SQLite's build flags, so it comes first too.
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo ./.cargo
COPY migrations ./migrations
RUN mkdir -p src tests/api benches \
    && echo 'fn main() {}' > src/main.rs \
    && : > src/lib.rs \
    && : > tests/api/main.rs \
    && echo 'fn main() {}' > benches/d4_query.rs \
    && echo 'fn main() {}' > benches/estate.rs \
    && echo 'fn main() {}' > benches/webhook_receiver.rs \
    && echo 'fn main() {}' > benches/provisioning.rs \
    && cargo build --release --locked \
    && rm -rf src

# 2. The real source. COPY keeps the files' original mtimes, which can be older than the dummy
#    build above; touch them so cargo rebuilds the siprov crate itself. The stand-ins for the
#    test and bench targets stay: the release build of the bin does not compile them.
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
    && chmod 0700 /var/lib/siprov

COPY --from=builder /build/target/release/siprov /usr/local/bin/siprov

ENV SIPROV_LISTEN=0.0.0.0:8080 \
    SIPROV_DATABASE_URL=sqlite:///var/lib/siprov/siprov.db

WORKDIR /var/lib/siprov
USER 10001:10001
EXPOSE 8080

# No HEALTHCHECK: the slim image has neither curl nor wget, and adding one only for that would
# grow the image. Probe GET or HEAD /healthz (liveness) and /readyz (database reachable) from
# the orchestrator instead; docker-compose.yml gates start-up on PostgreSQL's own health check.

# SIGTERM (docker stop) and SIGINT both drain requests in flight for at most 10 s; give the
# container a longer stop timeout than that (docker-compose.yml: stop_grace_period).
# `docker run IMAGE migrate` runs the migrations and exits; `docker run IMAGE --help` lists
# every setting.
ENTRYPOINT ["/usr/local/bin/siprov"]
CMD ["serve"]

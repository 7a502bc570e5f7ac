# Builds a small image running Tocsin with Alertmanager's conventional layout:
# config in /etc/alertmanager, data in /alertmanager, port 9093.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY configs ./configs
COPY compat-tests ./compat-tests
COPY tests ./tests
RUN cargo build --release --locked --bin tocsin

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/alertmanager /alertmanager \
 && chown -R nobody:nogroup /etc/alertmanager /alertmanager
COPY --from=build /src/target/release/tocsin /bin/tocsin
COPY configs/default.yml /etc/alertmanager/alertmanager.yml
USER nobody
EXPOSE 9093
VOLUME ["/alertmanager"]
WORKDIR /alertmanager
ENTRYPOINT ["/bin/tocsin"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]

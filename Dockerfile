# Tocsin with Alertmanager's conventional layout: configuration in
# /etc/alertmanager, data in /alertmanager, the web on 9093 and the cluster
# on 9094 (UDP for Tocsin's gossip, TCP kept for manifests that declare it).
# The whole tree is the build context (see .dockerignore), so a new path the
# build needs is never left out. The chart font is embedded in the binary, so
# the image needs no font packages.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tocsin

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /etc/alertmanager /alertmanager \
 && chown -R 65534:65534 /etc/alertmanager /alertmanager
COPY --from=build /src/target/release/tocsin /bin/tocsin
# Manifests that set `command: [/bin/alertmanager]` keep working.
RUN ln -s /bin/tocsin /bin/alertmanager
COPY configs/default.yml /etc/alertmanager/alertmanager.yml
USER 65534:65534
EXPOSE 9093 9094 9094/udp
VOLUME ["/alertmanager"]
WORKDIR /alertmanager
ENTRYPOINT ["/bin/tocsin"]
CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]

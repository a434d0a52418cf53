# The ds image (das-ds:latest). scripts/build-images assembles root/: the
# stripped ds binary, every shared library ldd lists (and the dynamic loader
# at its path), CA certificates, and a static busybox for the health check.
# FROM scratch: nothing is pulled, so it builds offline.
FROM scratch
COPY root/ /
ENV PATH=/usr/local/bin:/bin \
    DS_LISTEN=:9101 \
    DS_PROC_ROOT=/host/proc \
    DS_CGROUP_ROOT=/host/sys/fs/cgroup
LABEL org.opencontainers.image.title="ds" \
      org.opencontainers.image.description="das stats agent: container stats into InfluxDB (run one per node; mount the Docker socket, /proc at /host/proc and /sys/fs/cgroup at /host/sys/fs/cgroup, read-only)"
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/local/bin/ds"]

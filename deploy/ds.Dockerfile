# The ds image (das-ds:latest). scripts/build-images assembles root/: the
# stripped ds binary, every shared library ldd lists (and the dynamic loader
# at its path), CA certificates, /etc/passwd and /etc/group with the user
# das (10001). No shell: the health check is `ds healthcheck`.
# FROM scratch: nothing is pulled, so it builds offline.
#
# It runs as uid 10001, not root. ds needs the Docker socket, so give the
# container the socket's group (docker run --group-add GID, docker service
# create --group GID; deploy/docker-stack.yml: DAS_DOCKER_GID), or run it
# as root (--user 0). The host's /proc and cgroupfs files ds reads are
# readable by any user (SECURITY.md, "Users and privileges").
FROM scratch
COPY root/ /
ENV PATH=/usr/local/bin \
    DS_LISTEN=:9101 \
    DS_PROC_ROOT=/host/proc \
    DS_CGROUP_ROOT=/host/sys/fs/cgroup
LABEL org.opencontainers.image.title="ds" \
      org.opencontainers.image.description="das stats agent: container stats into InfluxDB (run one per node; mount the Docker socket, /proc at /host/proc and /sys/fs/cgroup at /host/sys/fs/cgroup, read-only; give it the socket's group)"
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/ds", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ds"]

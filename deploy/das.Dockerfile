# The das image (das-das:latest). scripts/build-images assembles root/: the
# stripped das binary, every shared library ldd lists (and the dynamic loader
# at its path), CA certificates, the tz database (/usr/share/zoneinfo: the
# zones of policy schedules), /etc/passwd and /etc/group with the user
# das (10001). No shell: the health check is `das healthcheck`.
# FROM scratch: nothing is pulled, so it builds offline.
#
# The default command is the daemon (`das run`); the same image is the
# operator's command line: `docker exec TASK_CONTAINER das status`.
#
# It runs as uid 10001, not root. das needs the Docker socket, so give the
# container the socket's group (docker run --group-add GID, docker service
# create --group GID; deploy/docker-stack.yml: DAS_DOCKER_GID), or run it
# as root (--user 0). Secrets it reads must be readable by that user (the
# stack gives them uid DAS_USER, mode 0400).
FROM scratch
COPY root/ /
ENV PATH=/usr/local/bin \
    DAS_LISTEN=:9102
LABEL org.opencontainers.image.title="das" \
      org.opencontainers.image.description="das autoscaler for Docker Swarm services (run on the managers; only the swarm leader's acts) and its command line"
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/das", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/das"]
CMD ["run"]

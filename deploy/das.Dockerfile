# The das image (das-das:latest). scripts/build-images assembles root/: the
# stripped das binary, every shared library ldd lists (and the dynamic loader
# at its path), CA certificates, and a static busybox for the health check.
# FROM scratch: nothing is pulled, so it builds offline.
#
# The default command is the daemon (`das run`); the same image is the
# operator's command line: `docker exec TASK_CONTAINER das status`.
FROM scratch
COPY root/ /
ENV PATH=/usr/local/bin:/bin \
    DAS_LISTEN=:9102
LABEL org.opencontainers.image.title="das" \
      org.opencontainers.image.description="das autoscaler for Docker Swarm services (run on the managers; only the swarm leader's acts) and its command line"
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/healthcheck"]
ENTRYPOINT ["/usr/local/bin/das"]
CMD ["run"]

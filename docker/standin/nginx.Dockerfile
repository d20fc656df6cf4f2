# Stand-in for the official nginx image where no image registry is reachable: Debian's nginx,
# run in the foreground with the configuration docker-compose.yml mounts, and busybox-like wget
# for the health check.
ARG BASE_IMAGE=rondevu-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      nginx wget >/dev/null && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* && \
    ln -sf /dev/stderr /var/log/nginx/error.log
STOPSIGNAL SIGQUIT
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]

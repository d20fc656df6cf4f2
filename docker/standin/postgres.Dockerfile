# Stand-in for the official postgres image where no image registry is reachable: Debian's
# PostgreSQL with the part of the official entrypoint docker-compose.yml relies on
# (POSTGRES_DB/USER/PASSWORD on first start, data in /var/lib/postgresql/data, pg_isready).
ARG BASE_IMAGE=rondevu-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf && \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql-15 >/dev/null && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
# A new named volume takes this directory's owner, so the server can run as postgres.
RUN mkdir -p "$PGDATA" /var/run/postgresql && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && \
    chmod 700 "$PGDATA"
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint
USER postgres
# Fast shutdown, as the official image: SIGTERM would wait for every client to disconnect.
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["postgres-entrypoint"]

# Stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 where no image registry is reachable: this
# machine's .NET and ASP.NET Core runtimes, and the non-root user the official image defines.
ARG BASE_IMAGE=rondevu-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libgssapi-krb5-2 libicu72 libssl3 tzdata >/dev/null && rm -rf /var/lib/apt/lists/*
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && \
    groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app
ENV APP_UID=1654 \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true

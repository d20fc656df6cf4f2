# Stand-in for mcr.microsoft.com/dotnet/sdk:10.0 where no image registry is reachable
# (scripts/compose.sh builds it only then). The SDK is this machine's own, copied in.
ARG BASE_IMAGE=rondevu-standin/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libicu72 libssl3 >/dev/null && rm -rf /var/lib/apt/lists/*
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
# This machine's CA bundle: here NuGet is reached only through a proxy that bundle trusts. Only this
# build-stage image gets it; the runtime images that are shipped never do.
COPY host-ca.crt /usr/local/share/rondevu/host-ca.crt
ENV SSL_CERT_FILE=/usr/local/share/rondevu/host-ca.crt \
    NUGET_CERT_REVOCATION_MODE=offline \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1

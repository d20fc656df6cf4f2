# Rondevu.Gateway: the stateless HTTP API, an Orleans client of the silos. Build from the
# repository root:
#   docker build -f docker/gateway.Dockerfile -t rondevu-gateway .
# The base images are build arguments, so a machine without access to their registry can
# substitute local stand-ins (scripts/compose.sh does).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Project files first, so the restore layer survives source edits.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Rondevu.Grains.Interfaces/Rondevu.Grains.Interfaces.csproj Rondevu.Grains.Interfaces/
COPY Rondevu.Grains/Rondevu.Grains.csproj Rondevu.Grains/
COPY Rondevu.ServiceDefaults/Rondevu.ServiceDefaults.csproj Rondevu.ServiceDefaults/
COPY Rondevu.Gateway/Rondevu.Gateway.csproj Rondevu.Gateway/
RUN dotnet restore Rondevu.Gateway/Rondevu.Gateway.csproj
COPY Rondevu.Grains.Interfaces/ Rondevu.Grains.Interfaces/
COPY Rondevu.Grains/ Rondevu.Grains/
COPY Rondevu.ServiceDefaults/ Rondevu.ServiceDefaults/
COPY Rondevu.Gateway/ Rondevu.Gateway/
RUN dotnet publish Rondevu.Gateway/Rondevu.Gateway.csproj -c Release -o /app --no-restore

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
# Git keeps the script executable; no COPY --chmod, so the classic builder (docker-compose v1) works too.
COPY docker/healthcheck.sh /usr/local/bin/healthcheck
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER $APP_UID
ENTRYPOINT ["dotnet", "Rondevu.Gateway.dll"]

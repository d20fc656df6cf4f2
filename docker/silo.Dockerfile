# Rondevu.Silo: an Orleans silo hosting the Rondevu grains. Also runs the schema migration
# (`command: ["migrate"]`). Build from the repository root:
#   docker build -f docker/silo.Dockerfile -t rondevu-silo .
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
COPY Rondevu.Silo/Rondevu.Silo.csproj Rondevu.Silo/
RUN dotnet restore Rondevu.Silo/Rondevu.Silo.csproj
COPY Rondevu.Grains.Interfaces/ Rondevu.Grains.Interfaces/
COPY Rondevu.Grains/ Rondevu.Grains/
COPY Rondevu.ServiceDefaults/ Rondevu.ServiceDefaults/
COPY Rondevu.Silo/ Rondevu.Silo/
RUN dotnet publish Rondevu.Silo/Rondevu.Silo.csproj -c Release -o /app --no-restore

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
# Git keeps the script executable; no COPY --chmod, so the classic builder (docker-compose v1) works too.
COPY docker/healthcheck.sh /usr/local/bin/healthcheck
# Silo-to-silo, Orleans clients (the gateways), /health.
EXPOSE 11111 30000 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Rondevu.Silo.dll"]

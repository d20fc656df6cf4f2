# Rondevu.Silo: an Orleans silo hosting the Rondevu grains. Also runs the schema migration
# (`command: ["migrate"]`). Build from the repository root:
#   docker build -f docker/silo.Dockerfile -t rondevu-silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
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

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/healthcheck
# Silo-to-silo, Orleans clients (the gateways), /health.
EXPOSE 11111 30000 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Rondevu.Silo.dll"]

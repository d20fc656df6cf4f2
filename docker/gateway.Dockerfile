# Rondevu.Gateway: the stateless HTTP API, an Orleans client of the silos. Build from the
# repository root:
#   docker build -f docker/gateway.Dockerfile -t rondevu-gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
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

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/healthcheck
ENV HOST=0.0.0.0 PORT=3000
EXPOSE 3000
USER $APP_UID
ENTRYPOINT ["dotnet", "Rondevu.Gateway.dll"]

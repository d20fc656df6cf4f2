using Rondevu.Gateway.Endpoints;
using Rondevu.Gateway.Hosting;
using Rondevu.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRondevuSettings();
builder.AddRondevuReadiness(); // first: /health/ready lists "cluster" before the "database" check AddRondevuOrleans adds
builder.AddRondevuOrleans();
builder.AddRondevuCredentials();
builder.AddRondevuHttp();
builder.AddRondevuProtection();
builder.AddRondevuDocs();

var app = builder.Build();
app.UseRondevuErrors();
app.UseForwardedHeaders();
app.UseCors();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapServiceEndpoints();
app.MapOfferEndpoints();
app.MapDiscoveryEndpoints();
app.MapIceEndpoints();
app.MapPollEndpoints();
app.MapDefaultEndpoints();
app.MapRondevuDocs();

app.Run();

/// <summary>Exposed so tests can host the real gateway.</summary>
public partial class Program;

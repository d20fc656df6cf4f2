using Rondevu.Gateway.Endpoints;
using Rondevu.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddRondevuSettings();
builder.AddRondevuOrleans();
builder.AddRondevuCredentials();
builder.AddRondevuHttp();
builder.AddRondevuProtection();
builder.AddRondevuOperations();
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
app.MapRondevuOperations();
app.MapRondevuDocs();

app.Run();

/// <summary>Exposed so tests can host the real gateway.</summary>
public partial class Program;

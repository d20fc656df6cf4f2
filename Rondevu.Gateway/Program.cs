using Rondevu.Gateway.Endpoints;
using Rondevu.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddRondevuSettings();
builder.AddRondevuOrleans();
builder.AddRondevuCredentials();
builder.AddRondevuHttp();
builder.AddRondevuDocs();

var app = builder.Build();
app.UseRondevuErrors();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();

app.MapServiceEndpoints();
app.MapOfferEndpoints();
app.MapDiscoveryEndpoints();
app.MapIceEndpoints();
app.MapPollEndpoints();
app.MapRondevuDocs();

app.Run();

/// <summary>Exposed so tests can host the real gateway.</summary>
public partial class Program;

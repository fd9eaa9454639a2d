using Broadcast.Baselines.SignalR;

// SignalR as it comes: JSON hub protocol, WebSockets, default options. Clients may skip negotiation.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddSignalR();
var app = builder.Build();
app.MapGet("/health", () => Results.Json(new { status = "healthy" }));
app.MapHub<BroadcastHub>("/hub");
app.Run();

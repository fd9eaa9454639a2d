using Broadcast.Baselines.Naive;

// The naive reference: the same wire protocol as the server (/ws/events, {"message"} in,
// {"message","timestamp"} out to every other client), written the way most samples do it.
var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();
var hub = new NaiveHub();
app.UseWebSockets();
app.MapGet("/health", () => Results.Json(new { status = "healthy", connections = hub.Count }));
app.Map("/ws/events", hub.AcceptAsync);
app.Run();

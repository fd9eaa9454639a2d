using Broadcast.Server;

var app = BroadcastServer.Build(args);
app.Run();

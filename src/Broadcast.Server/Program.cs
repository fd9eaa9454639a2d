using Broadcast.Server;
using Broadcast.Server.Configuration;

if (OptionsHelp.IsRequested(args))
{
    OptionsHelp.Write(Console.Out);
    return 0;
}

try
{
    var app = BroadcastServer.Build(args);
    app.Run();
    return 0;
}
catch (Exception ex) when (StartupErrors.Describe(ex) is { } message)
{
    Console.Error.WriteLine(message);
    return StartupErrors.ConfigurationExitCode;
}

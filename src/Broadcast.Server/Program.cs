using Broadcast.Server;
using Broadcast.Server.Configuration;

if (OptionsHelp.IsRequested(args))
{
    OptionsHelp.Write(Console.Out);
    return 0;
}

try
{
    // 0 after SIGTERM or Ctrl+C; non-zero when a fault stopped the node, so that its supervisor restarts it.
    return await BroadcastServer.RunAsync(BroadcastServer.Build(args));
}
catch (Exception ex) when (StartupErrors.Describe(ex) is { } message)
{
    Console.Error.WriteLine(message);
    return StartupErrors.ConfigurationExitCode;
}

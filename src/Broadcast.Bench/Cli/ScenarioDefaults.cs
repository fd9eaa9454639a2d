namespace Broadcast.Bench.Cli;

/// <summary>Per-scenario defaults, applied before the command line so any of them can be overridden.</summary>
public static class ScenarioDefaults
{
    public static void Apply(BenchOptions options)
    {
        switch (options.Scenario)
        {
            case Scenario.Fanout:
                (options.Subscribers, options.Publishers, options.Rate) = (500, 1, 2000);
                break;
            case Scenario.Chat:
                (options.Subscribers, options.Rate) = (200, 5);
                break;
            case Scenario.Idle:
                // One probe message a second checks that every idle connection is still served.
                (options.Subscribers, options.Rate, options.WarmupSeconds, options.DurationSeconds) = (5000, 1, 0, 5);
                options.Sources = OptionsParser.ParseSources("127.0.0.2-127.0.0.5");
                options.ConnectConcurrency = 128;
                break;
            case Scenario.Storm:
                (options.Subscribers, options.Rate, options.WarmupSeconds, options.DurationSeconds) = (5000, 0, 0, 0);
                options.Sources = OptionsParser.ParseSources("127.0.0.2-127.0.0.5");
                options.ConnectConcurrency = 128;
                break;
        }
    }
}

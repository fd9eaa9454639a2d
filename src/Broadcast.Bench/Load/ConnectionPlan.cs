using Broadcast.Bench.Cli;

namespace Broadcast.Bench.Load;

/// <summary>Which connections the run has, and which of them this process opens (every N-th).</summary>
public static class ConnectionPlan
{
    public static List<LoadConnection> ForWorker(BenchOptions options, RunPlan plan, int worker)
    {
        var connections = new List<LoadConnection>();
        var subscribers = options.Subscribers;
        var separatePublishers = options.Scenario is Scenario.Fanout or Scenario.Idle ? options.PublisherCount : 0;
        for (var index = worker; index < subscribers + separatePublishers; index += options.Processes)
        {
            connections.Add(Create(options, plan, index));
        }

        return connections;
    }

    private static LoadConnection Create(BenchOptions options, RunPlan plan, int index)
    {
        if (index >= options.Subscribers)
        {
            return new LoadConnection(index, index - options.Subscribers, tracker: null);
        }

        return options.Scenario switch
        {
            Scenario.Chat => new LoadConnection(index, index, new SubscriberTracker(plan, ownPublisher: index)),
            Scenario.Storm => new LoadConnection(index, -1, tracker: null),
            _ => new LoadConnection(index, -1, new SubscriberTracker(plan, ownPublisher: -1)),
        };
    }
}

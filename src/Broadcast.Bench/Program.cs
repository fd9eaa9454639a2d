using Broadcast.Bench.Cli;
using Broadcast.Bench.Coordination;
using Broadcast.Bench.Load;

namespace Broadcast.Bench;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage.Text);
            return args.Length == 0 ? 2 : 0;
        }

        BenchOptions options;
        try
        {
            options = OptionsParser.Parse(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }

        return options.IsWorker
            ? await new Worker(options).RunAsync()
            : await new Coordinator(options, args).RunAsync();
    }
}

using Kimi.Actors.Cluster.Workers;

// kimi-worker --parent AKKA-PATH --worker-id ID [--incarnation N] [--device D] [--threads N] [--config FILE]
return WorkerProcess.Run(args, Console.Error);

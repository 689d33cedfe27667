using SkAgents.Cli;

return await SkAgentsCli.RunAsync(args);

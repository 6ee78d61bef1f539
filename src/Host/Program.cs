using Multiprocessing.Host.Commands;

return await MpCommand.RunAsync(args);

using Multiprocessing.Host.Commands;

return await MpCommand.Create().Parse(args).InvokeAsync();

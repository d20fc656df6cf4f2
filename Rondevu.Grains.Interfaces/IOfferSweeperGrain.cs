namespace Rondevu.Grains;

/// <summary>The one sweeper of the service (key 0): it ends the offers whose time is up.</summary>
[Alias("Rondevu.IOfferSweeperGrain")]
public interface IOfferSweeperGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the sweep's reminder exists; every silo calls it at start, only the first writes.</summary>
    [Alias("Start")]
    Task StartAsync();

    /// <summary>Ends every offer expired by now; returns how many it ended.</summary>
    [Alias("Sweep")]
    Task<int> SweepAsync();
}

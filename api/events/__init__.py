"""Events: the public event pages and the queries behind them."""

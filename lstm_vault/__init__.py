"""lstm_vault: a transparent LSTM, step by step."""

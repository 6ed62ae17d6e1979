"""Charts: pure Plotly figure builders, DataFrame in, go.Figure out."""

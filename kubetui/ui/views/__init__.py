"""The five numbered views of the dashboard."""

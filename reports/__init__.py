"""Documents that leave the building: the weekly brief (PDF, Excel, PowerPoint), its command and its mail."""

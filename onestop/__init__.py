"""onestop domain core: framework-free rules (calendar, lifecycle, codes); no Django imports."""

"""ETL of the CPTS care-access atlas: sources -> raw cache -> normalised tables -> geodata/."""

"""The DuckDB schema of ``geodata/atlas.duckdb``: the contract between the ETL and the dashboard.

The ETL is the only writer. Readers (CLI ``summary``/``commune``, dashboard) open it read-only
through :mod:`atlas.read`. Every commune figure is stored as *numerator / denominator* so that
territory and reference levels are always ratios of sums (DESIGN.md, "Data rules").

Value rule per indicator (``indicators.aggregation``):
  * ``sum``    value = Σ numerator                     (population, headcounts)
  * ``ratio``  value = Σ numerator / Σ denominator × scale
               (density: professionals / population × 10,000;
                shares: patients without MT / patients × 100;
                APL: Σ(APL × standardised pop) / Σ standardised pop, scale 1)
"""



DDL = """
CREATE TABLE build_info (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE sources (
    id VARCHAR PRIMARY KEY,          -- e.g. 'communes_geometry', 'drees_apl_mg'
    publisher VARCHAR, title VARCHAR, vintage VARCHAR, licence VARCHAR, url VARCHAR,
    format VARCHAR,
    resolved_from VARCHAR,           -- 'file' | 'mirror' | 'repo' | 'download' | 'registry' | 'demo' | 'unavailable'
    location VARCHAR,                -- file name actually read (no machine path)
    sha256 VARCHAR,
    retrieved_at TIMESTAMP,
    synthetic BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,         -- 'loaded' | 'unavailable'
    message VARCHAR                  -- why unavailable, or warnings (e.g. communes without geometry)
);

CREATE TABLE regions (code VARCHAR PRIMARY KEY, nom VARCHAR NOT NULL);
CREATE TABLE departements (code VARCHAR PRIMARY KEY, nom VARCHAR NOT NULL, region VARCHAR);
CREATE TABLE epci (code VARCHAR PRIMARY KEY, nom VARCHAR NOT NULL, type VARCHAR);

CREATE TABLE communes (
    code VARCHAR PRIMARY KEY,        -- INSEE COG, current year
    nom VARCHAR NOT NULL,
    departement VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    epci VARCHAR,                    -- SIREN of the EPCI à fiscalité propre
    population BIGINT,               -- population municipale (INSEE, via Etalab)
    has_geometry BOOLEAN NOT NULL,
    geom_source VARCHAR,
    lon DOUBLE, lat DOUBLE,          -- representative point, for labels
    xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE
);

CREATE TABLE indicators (
    id VARCHAR PRIMARY KEY,          -- stable ids (DESIGN.md)
    label VARCHAR NOT NULL,          -- French label shown to users
    unit VARCHAR NOT NULL,           -- French unit shown to users
    family VARCHAR NOT NULL,         -- 'population' | 'density' | 'accessibility' | 'access_mt' | 'prevention'
    profession VARCHAR,              -- 'mg','inf','mk','sf','pharma','dent' or NULL
    mode VARCHAR,                    -- 'all' | 'liberal' or NULL
    aggregation VARCHAR NOT NULL,    -- 'sum' | 'ratio'
    scale DOUBLE NOT NULL,           -- multiplier of Σnum/Σden (10000, 100, 1)
    higher_is_better BOOLEAN,        -- direction of "good" for colour scales
    secret_threshold INTEGER,        -- denominators below this are 'secret statistique'
    thresholds VARCHAR,              -- JSON list of fixed class breaks, or NULL for quantiles
    description VARCHAR,
    formula VARCHAR
);

CREATE TABLE commune_values (
    indicator_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    year INTEGER NOT NULL,
    value DOUBLE,                    -- as published / computed for the commune
    numerator DOUBLE,
    denominator DOUBLE,
    source_id VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL,
    PRIMARY KEY (indicator_id, code, year)
);

-- Reference levels computed with the same rule as territories (or, where the commune level
-- is not open data, taken from the official département/région publication: source_id says).
CREATE TABLE reference_values (
    indicator_id VARCHAR NOT NULL,
    level VARCHAR NOT NULL,          -- 'departement' | 'region' | 'france'
    code VARCHAR NOT NULL,           -- département/région code, 'FR' for France
    year INTEGER NOT NULL,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE,
    source_id VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL,
    PRIMARY KEY (indicator_id, level, code, year)
);

CREATE TABLE territories (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,           -- 'cpts' (built) ; user territories live in the user data dir
    departement VARCHAR,
    confidence VARCHAR,              -- 'high' | 'medium' | 'low' | 'superset' | 'unknown' (mixed: lowest)
    perimeter_note VARCHAR,          -- evidence, in plain words
    n_communes INTEGER NOT NULL,
    population BIGINT,
    published_communes INTEGER,
    published_population BIGINT,
    published_as_of VARCHAR,
    published_source VARCHAR,
    communes_diff INTEGER,           -- n_communes - published_communes
    population_diff BIGINT           -- population - published_population
);

CREATE TABLE territory_communes (
    territory_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    role VARCHAR NOT NULL,           -- 'member' | 'candidate' (candidates are not counted)
    confidence VARCHAR,
    note VARCHAR,
    PRIMARY KEY (territory_id, code)
);

-- Distinct professionals per commune, profession and mode (RPPS). mode: 'liberal' | 'salarie' |
-- 'benevole' | 'autre' (mode not given) | 'all' (distinct over all modes: a professional both libéral
-- and salarié in a commune counts once in 'all', so 'all' <= sum of the modes).
CREATE TABLE professionals_by_commune (
    code VARCHAR NOT NULL,
    profession VARCHAR NOT NULL,     -- 'mg','inf','mk','sf','pharma','dent'
    mode VARCHAR NOT NULL,
    year INTEGER NOT NULL,           -- year of the RPPS extraction
    count INTEGER NOT NULL,
    source_id VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL,
    PRIMARY KEY (code, profession, mode, year)
);

-- Practice sites of each professional (RPPS), one row per (person, profession, mode, commune): what
-- counting a professional ONCE per area needs. The number of professionals of any set of communes is
-- count(DISTINCT person) over its rows (all modes: every row; libéral: mode = 'liberal'), never a sum
-- of commune counts (a GP with cabinets in two communes of a territory is one GP of the territory).
-- person: a stable pseudonymous integer (the first 60 bits of md5 of the RPPS identifier: the same
-- professional keeps the same id from one extraction to the next; the RPPS id itself is not stored).
CREATE TABLE professional_sites (
    person BIGINT NOT NULL,
    profession VARCHAR NOT NULL,     -- 'mg','inf','mk','sf','pharma','dent'
    mode VARCHAR NOT NULL,           -- 'liberal' | 'salarie' | 'benevole' | 'autre'
    code VARCHAR NOT NULL,           -- current commune code
    year INTEGER NOT NULL,           -- year of the RPPS extraction
    source_id VARCHAR NOT NULL,
    synthetic BOOLEAN NOT NULL,
    PRIMARY KEY (person, profession, mode, code, year)
);

CREATE TABLE published_figures (
    territory_id VARCHAR NOT NULL, figure VARCHAR NOT NULL, value DOUBLE, unit VARCHAR,
    as_of VARCHAR, scope VARCHAR, source VARCHAR
);
""" + "\n"  # the accessibility tables follow (ACCESS_DDL)

# Computed accessibility (etl/steps/access.py; the model is atlas/access/model.py). "IF NOT EXISTS"
# so that the step can add them to a build copied by --only from a build that predates them.
ACCESS_DDL = """
-- Inputs of the 2SFCA of each supply ('mg','inf','mk','sf','dent','pharmacy'), one row per commune:
-- what a scenario needs besides the travel times (travel_times.parquet).
CREATE TABLE IF NOT EXISTS access_inputs (
    profession VARCHAR NOT NULL,
    year INTEGER NOT NULL,           -- year of the supply (BPE vintage)
    code VARCHAR NOT NULL,
    professionals DOUBLE NOT NULL,   -- headcount (liberal professionals, or pharmacies)
    supply DOUBLE NOT NULL,          -- S: professionals × activity (GPs: consultations a year)
    demand DOUBLE NOT NULL,          -- P: standardised population (GPs) or population municipale
    population DOUBLE NOT NULL,      -- population municipale (people below a threshold are counted with it)
    PRIMARY KEY (profession, year, code)
);

-- Parameters of each supply's model, with their sources (atlas/access/parameters.py, weights.py).
CREATE TABLE IF NOT EXISTS access_parameters (
    profession VARCHAR PRIMARY KEY,
    year INTEGER NOT NULL,
    decay_steps VARCHAR NOT NULL,    -- JSON [[upper bound in minutes, weight], ...]
    cutoff DOUBLE NOT NULL,          -- minutes from which the weight is 0 (with time_error_sigma)
    time_error_sigma DOUBLE NOT NULL, -- σ of the times' log-error the steps are averaged over (0: exact times)
    decay_source VARCHAR NOT NULL,
    activity DOUBLE NOT NULL,        -- supply units of one professional
    new_activity DOUBLE NOT NULL,    -- of a professional added in a scenario
    activity_source VARCHAR NOT NULL,
    scale DOUBLE NOT NULL,           -- value = A × scale
    demand VARCHAR NOT NULL,         -- what P is
    demand_source VARCHAR NOT NULL,
    supply_unit VARCHAR NOT NULL,
    value_unit VARCHAR NOT NULL,
    threshold DOUBLE,                -- under-supply threshold (GPs 2.5) or NULL
    supply_source_id VARCHAR NOT NULL,
    travel_times VARCHAR NOT NULL    -- how the travel times were had (computed graph or file given)
);

-- Computed GP accessibility against the DREES APL, per APL year of the build
-- (atlas/access/validation.py): rank correlations, weighted error, population on the same side of 2.5.
CREATE TABLE IF NOT EXISTS access_validation (
    apl_year INTEGER PRIMARY KEY,
    supply_year INTEGER NOT NULL,
    communes INTEGER NOT NULL,
    rho_communes DOUBLE,
    rho_big_communes DOUBLE,         -- communes of 5,000 inhabitants or more
    rho_departments DOUBLE,
    mae DOUBLE,                      -- mean absolute error weighted by the standardised population
    same_side DOUBLE,                -- share of the population municipale on the same side of 2.5
    mean_computed DOUBLE,
    mean_apl DOUBLE
);
"""

DDL = DDL + ACCESS_DDL

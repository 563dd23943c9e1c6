"""What users create from the browser or the command line, beside the built database: saved
territories (:mod:`.territories`) and imported CPAM commune tables (:mod:`.imports`). Each file is
written atomically (temporary file, then rename) under a lock; the read model reads them."""

/** The repository (the Dataform project and its local state) this installation runs from. */
import path from "node:path"

export const repositoryRoot = path.resolve(import.meta.dirname, "..")

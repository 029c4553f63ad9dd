// Starts the NHS.UK frontend components (header menu, error summary focus, etc.).
//
// This lives in its own file because the pages have no inline scripts: a strict
// Content Security Policy will block them. The NHS.UK page template normally adds
// these body classes with an inline script; a browser that runs this module script
// supports ES modules, which is exactly what "nhsuk-frontend-supported" means.
import { initAll } from '../vendor/nhsuk-frontend/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

package plentysim

import (
	"encoding/json"
	"math/big"
	"net/http"
	"strconv"
)

// validPackageType reports whether plentymarkets lists a package type (0 unpacked … 39 foil bag;
// 33 is not used).
func validPackageType(n int) bool { return n >= 0 && n <= 39 && n != 33 }

// packageFields reads a package body: packageId, packageType, weight (ints), packageNumber,
// labelPath, returnPackageNumber (strings), volume (number). required names the fields that must be
// present. On a bad body it answers 422 with every field's message and returns false.
func packageFields(w http.ResponseWriter, body map[string]json.RawMessage, p *pkg, required ...string) bool {
	errs := map[string][]string{}
	human := map[string]string{"packageId": "package id", "packageType": "package type", "weight": "weight",
		"packageNumber": "package number", "labelPath": "label path", "returnPackageNumber": "return package number",
		"volume": "volume"}
	for _, k := range required {
		if raw, set := body[k]; !set || string(raw) == "null" {
			errs[k] = append(errs[k], "The "+human[k]+" field is required.")
		}
	}
	for k, to := range map[string]*int{"packageId": &p.packageID, "packageType": &p.packageType, "weight": &p.weight} {
		raw, set := body[k]
		if !set || string(raw) == "null" {
			continue
		}
		n, ok := intField(raw)
		switch {
		case !ok:
			errs[k] = append(errs[k], "The "+human[k]+" must be an integer.")
		case k == "packageType" && !validPackageType(n):
			errs[k] = append(errs[k], "The selected package type is invalid.")
		default:
			*to = n
		}
	}
	for k, to := range map[string]*string{"packageNumber": &p.number, "labelPath": &p.labelPath,
		"returnPackageNumber": &p.returnNumber} {
		raw, set := body[k]
		if !set || string(raw) == "null" {
			continue
		}
		if json.Unmarshal(raw, to) != nil {
			errs[k] = append(errs[k], "The "+human[k]+" must be a string.")
		}
	}
	if raw, set := body["volume"]; set && string(raw) != "null" {
		v, ok := decimalField(raw)
		r, _ := new(big.Rat).SetString(v)
		if !ok || r == nil {
			errs["volume"] = append(errs["volume"], "The volume must be a number.")
		} else {
			p.volume = r
		}
	}
	if len(errs) > 0 {
		var e apiError
		e.Error.Code, e.Error.Message = http.StatusUnprocessableEntity, "The given data was invalid."
		e.ValidationErrors = errs
		writeJSON(w, http.StatusUnprocessableEntity, e)
		return false
	}
	return true
}

// listPackages is GET /rest/orders/{orderId}/shipping/packages: the order's packages as an array,
// oldest first (an empty placeholder first with PagePlaceholder); with=labelBase64 adds the labels.
func (s *Sim) listPackages(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	label := false
	for _, v := range withValues(q) {
		switch v {
		case "labelBase64":
			label = true
		case "items":
			notSimulated(w, "the package items")
			return
		default:
			invalid(w, "with", "The relation "+v+" does not exist.")
			return
		}
	}
	if _, set := q["columns"]; set || q.Has("columns[]") {
		notSimulated(w, "columns")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	out := []packageDoc{}
	for _, p := range o.packages {
		out = append(out, packageDocument(o.id, p, label))
	}
	writeJSON(w, http.StatusOK, out)
}

// createPackage is POST /rest/orders/{orderId}/shipping/packages: packageId and packageType are
// required (422 otherwise); every call creates a new package, even with a package number the order
// already has. It answers 200 with the package.
func (s *Sim) createPackage(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	p := &pkg{}
	if !packageFields(w, body, p, "packageId", "packageType") {
		return
	}
	now := s.now()
	s.nextPackage++
	p.id, p.created, p.updated = s.nextPackage, now, now
	o.packages = append(o.packages, p)
	writeJSON(w, http.StatusOK, packageDocument(o.id, p, false))
}

// updatePackage is PUT /rest/orders/{orderId}/shipping/packages/{orderShippingPackageId}: it changes
// the fields given and answers 200 with the package; 404 when the order has no such package.
func (s *Sim) updatePackage(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	pid, err := strconv.Atoi(r.PathValue("orderShippingPackageId"))
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	var p *pkg
	for _, x := range o.packages {
		if err == nil && x.id == pid {
			p = x
		}
	}
	if p == nil {
		fail(w, http.StatusNotFound, `No query results for model [Plenty\Modules\Order\Shipping\Package\Models\OrderShippingPackage] `+
			r.PathValue("orderShippingPackageId"))
		return
	}
	next := *p
	if !packageFields(w, body, &next) {
		return
	}
	next.updated = s.now()
	*p = next
	writeJSON(w, http.StatusOK, packageDocument(o.id, p, false))
}

// packageNumbers is GET /rest/orders/{orderId}/packagenumbers: the order's package numbers as an
// array of strings, empty placeholders left out.
func (s *Sim) packageNumbers(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	out := []string{}
	for _, p := range o.packages {
		if p.number != "" {
			out = append(out, p.number)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
